"""Background jobs: RQ on Redis when REDIS_URL is set, otherwise run inline (the embedded default)."""
from flask import current_app, has_request_context

from . import after_commit as deferred


def _queue():
    from redis import Redis
    from rq import Queue

    return Queue("wufei", connection=Redis.from_url(current_app.config["REDIS_URL"]))


def enqueue(func, *args, after_commit: bool = False, in_request: bool = True, **kwargs):
    """Run func(*args) as a job. With after_commit, wait until the current transaction has committed, so the
    job sees the rows it is about. in_request=False is for work a request must never wait for (talking to a
    slow service): without a queue it is left to its timer command instead of running inline in a request."""
    if after_commit:
        deferred.defer(enqueue, func, *args, in_request=in_request, **kwargs)
        return None
    if current_app.config.get("REDIS_URL") and not current_app.config.get("JOBS_INLINE"):
        return _queue().enqueue(run_in_app, func.__module__, func.__name__, *args, **kwargs)
    if not in_request and has_request_context():
        return None
    return func(*args, **kwargs)


def run_in_app(module: str, name: str, *args, **kwargs):
    """Entry point of RQ workers: import the job function and run it inside an application context."""
    import importlib

    from . import create_app

    app = create_app()
    with app.app_context():
        return getattr(importlib.import_module(module), name)(*args, **kwargs)


def queue_state() -> str:
    if not current_app.config.get("REDIS_URL"):
        return "inline"
    from redis import Redis

    Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=1).ping()
    return "ok"
