"""The Socket.IO shell: handlers (decode -> authorize -> engine -> store -> broadcast), the
wire format, websocket compression, and presence across processes.

``create_app`` imports ``handlers``, which registers them on ``extensions.socketio``.
"""
