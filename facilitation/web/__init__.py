"""The HTTP shell: pages, the JSON API, security headers, compression, the presenter's export."""
from __future__ import annotations

from flask import Flask

from ..engine.rules import TEXT_LIMITS
from . import debrief
from .compression import register_compression
from .routes import bp
from .security import register_security


def register_web(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(debrief.bp)
    register_security(app)
    register_compression(app)

    @app.context_processor
    def text_limits() -> dict:
        # maxlength attributes and the browser's counters come from the engine's own limits.
        return {"limits": TEXT_LIMITS}
