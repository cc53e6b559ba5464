"""Flask extensions, created unbound and bound to an app in ``create_app``."""
from __future__ import annotations

from flask_babel import Babel
from flask_socketio import SocketIO

from .persistence.database import Database

socketio = SocketIO()
babel = Babel()
db = Database()
