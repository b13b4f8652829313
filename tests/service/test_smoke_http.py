"""The first thing a newcomer does works, over real HTTP, on both databases."""

import httpx

import breakout_widgets as bw


def test_done_when_example(service):
    with bw.Classroom.create(
        service.url, admin_key=service.admin_key, title="Algebra 1", host="Ms. Rivera"
    ) as cls:
        _run_lesson(service, cls)


def _run_lesson(service, cls):
    invites = cls.invite_many([f"student{i:02d}" for i in range(30)])
    cls.breakout.create(5)
    rooms = cls.breakout.shuffle(seed=7)
    assert sorted(len(r.participants) for r in rooms) == [6, 6, 6, 6, 6]
    cls.breakout.start(duration=600)
    with bw.Classroom.join(service.url, invites[0].token) as student:
        title = student.meeting.title
        assert title in {r.title for r in rooms}
        assert "student00" in next(r for r in rooms if r.title == title).names
        cls.breakout.close()
        assert student.meeting.title == "Algebra 1"


def test_openapi_docs_are_served(service):
    assert httpx.get(f"{service.url}/docs").status_code == 200
    spec = httpx.get(f"{service.url}/openapi.json").json()
    assert "/v1/meetings/{class_id}/breakout/shuffle" in spec["paths"]


def test_the_join_page_explains_a_join_link_without_seeing_the_token(sqlite_service):
    import httpx

    page = httpx.get(sqlite_service.url + "/join", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "bw.join(" in page.text and "token" in page.text
