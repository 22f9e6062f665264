"""Flask extensions, created here and bound to the app in :func:`timebank.create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from timebank.cookies import LoginManager
from timebank.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
#: In-memory by default (TIMEBANK_RATELIMIT_STORAGE_URI to share limits between processes).
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")
