"""People who sign in: admins, brokers (coordinators), funders and members."""
