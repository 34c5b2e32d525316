import io
from contextlib import nullcontext

import pytest
from flask import has_app_context

from portal.extensions import db


@pytest.fixture
def file_report(app):
    """Files a report through the service and commits, as the form view would. Outside `ctx` the report
    comes back detached (with photos loaded), so that test-client requests get their own context."""
    from participation.reports import services
    from participation.reports.photos import clean_photo
    from tests.participation.helpers import HUBIN, photo_bytes

    def file_(category="household", point=HUBIN, description="垃圾堆", photos=1, **extra):
        detached = not has_app_context()
        with app.app_context() if detached else nullcontext():
            data = services.NewReport(category=category, description=description, lat=point[0], lon=point[1],
                                      photos=[clean_photo(io.BytesIO(photo_bytes())) for _ in range(photos)],
                                      **extra)
            report, secret = services.submit_report(data)
            db.session.commit()
            if detached:
                db.session.refresh(report)
                _ = report.photos, report.events
                db.session.expunge_all()
        return report, secret

    return file_
