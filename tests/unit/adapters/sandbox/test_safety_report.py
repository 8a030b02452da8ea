from vibetrading.adapters.sandbox import SafetyCheck, SafetyReport
from vibetrading.adapters.sandbox.report import failed, passed


def test_report_all_passed_is_safe_with_summary():
    report = SafetyReport((passed("imports", "static", "ok"), passed("output", "output", "ok")))

    assert report.is_safe
    assert report.violations == ()
    assert report.summary() == "All 2 safety checks passed."


def test_report_failure_names_check_line_and_count():
    report = SafetyReport(
        (
            passed("imports", "static", "ok"),
            failed("builtins", "static", "eval is not available", 3),
            failed("loops", "static", "never ends", 7),
        )
    )

    assert not report.is_safe
    assert [v.name for v in report.violations] == ["builtins", "loops"]
    assert report.summary() == "builtins (line 3): eval is not available; 1 more violation"


def test_report_as_dict_round_trips():
    report = SafetyReport((failed("imports", "static", "import of 'os'", 1),)).extend(
        passed("output", "output", "fine")
    )

    document = report.as_dict()
    again = SafetyReport.from_dict(document)

    assert document["is_safe"] is False
    assert document["checks"][0] == {
        "name": "imports",
        "layer": "static",
        "passed": False,
        "message": "import of 'os'",
        "line": 1,
    }
    assert again == report


def test_report_from_dict_unknown_layer_becomes_process():
    report = SafetyReport.from_dict(
        {"checks": [{"name": "x", "layer": "evil", "passed": True, "message": "m", "line": "2"}]}
    )

    assert report.checks == (SafetyCheck("x", "process", True, "m", None),)
