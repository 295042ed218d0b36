"""A maintainer who changes one booking rule reads a short path: one page booking runs
code from at most 8 of app/'s Python files (issue #15), not counting what every request
runs (app/__init__.py, app/web/), app/core/, the models, config.py and extensions.py.
ARCHITECTURE.md ("Following one booking") walks the same path, file by file."""

import sys
from datetime import timedelta
from pathlib import Path

from tests.factories import TODAY, create_patient, create_session, create_user
from tests.helpers import PASSWORD, csrf_token, login

APP = Path(__file__).resolve().parents[2] / "app"


def _counted(path: str) -> bool:
    return not (path in {"__init__.py", "config.py", "extensions.py"}
                or path.startswith(("web/", "core/")) or path.endswith("models.py"))


def _files_run_by(call) -> set[str]:
    """The app/ Python files whose code runs during ``call()``, relative to app/."""
    seen: set[str] = set()

    def profile(frame, event, _arg):
        if event == "call" and frame.f_code.co_filename.startswith(str(APP)):
            seen.add(frame.f_code.co_filename)

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return {str(Path(name).relative_to(APP)) for name in seen if name.endswith(".py")}


def test_one_page_booking_runs_code_from_at_most_eight_files(db, client):
    slot = create_session(day=TODAY + timedelta(days=2)).slots[0]
    patient = create_patient(account=create_user(password=PASSWORD))
    db.session.commit()
    login(client, patient.account.phone)
    form = client.get(f"/slots/{slot.id}/book").text
    nonce = form.split('name="nonce"')[1].split('value="')[1].split('"')[0]
    answers = []

    files = _files_run_by(lambda: answers.append(client.post(f"/slots/{slot.id}/book", data={
        "csrf_token": csrf_token(form), "nonce": nonce, "patient": patient.id})))

    assert answers[0].status_code == 302 and "/bookings/" in answers[0].headers["Location"]
    assert sorted(path for path in files if _counted(path)) == [
        "auth/login.py", "bookings/forms.py", "bookings/queries.py",
        "bookings/services/engine.py", "bookings/services/notices.py", "bookings/views.py",
        "notifications/compose.py", "notifications/services.py"]
