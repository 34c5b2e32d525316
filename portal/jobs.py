"""Background jobs: RQ on Redis when REDIS_URL is set, otherwise run inline (the embedded default)."""
from flask import current_app, g


def _queue():
    from redis import Redis
    from rq import Queue

    return Queue("wufei", connection=Redis.from_url(current_app.config["REDIS_URL"]))


def enqueue(func, *args, after_commit: bool = False, **kwargs):
    """Run func(*args) as a job. With after_commit, wait until the current request has committed,
    so the job sees the rows it is about."""
    if after_commit:
        pending = g.setdefault("jobs_after_commit", [])
        pending.append((func, args, kwargs))
        return None
    if current_app.config.get("REDIS_URL") and not current_app.config.get("JOBS_INLINE"):
        return _queue().enqueue(run_in_app, func.__module__, func.__name__, *args, **kwargs)
    return func(*args, **kwargs)


def flush_after_commit():
    """Called by the session's after_commit hook: start the jobs that waited for the commit."""
    for func, args, kwargs in g.pop("jobs_after_commit", []):
        enqueue(func, *args, **kwargs)


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
