"""The API's resources; importing this registers every operation on the blueprint."""

from timebank.api.resources import banks, exchanges, members, reports  # noqa: F401
