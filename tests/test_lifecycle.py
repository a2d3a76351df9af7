"""The incident lifecycle rules (REFERENCE section 1)."""
import pytest

from webapp.incidents.lifecycle import TransitionRefused, cleared_timestamps, plan_transition


@pytest.mark.parametrize("source, target", [
    ("reported", "triaged"), ("reported", "resolved"), ("contained", "closed"), ("in_review", "closed"),
])
def test_forward_steps_may_skip_and_need_no_reason(source, target):
    assert plan_transition(source, target).kind == "forward"


@pytest.mark.parametrize("source, target, kind", [
    ("resolved", "investigating", "reopen"), ("closed", "reported", "reopen"),
    ("cancelled", "triaged", "reopen"), ("investigating", "cancelled", "cancel"),
])
def test_going_back_or_cancelling_needs_a_reason(source, target, kind):
    with pytest.raises(TransitionRefused, match="needs a reason"):
        plan_transition(source, target, "  ")
    step = plan_transition(source, target, "found more damage")
    assert step.kind == kind
    assert "found more damage" in step.describe()


@pytest.mark.parametrize("source, target, message", [
    ("reported", "reported", "already reported"), ("reported", "done", "unknown status"),
])
def test_refused(source, target, message):
    with pytest.raises(TransitionRefused, match=message):
        plan_transition(source, target)


def test_reopening_clears_later_timestamps():
    assert cleared_timestamps("investigating") == ["resolved_at", "recovered_at", "closed_at"]
    assert cleared_timestamps("recovered") == ["closed_at"]
    assert cleared_timestamps("closed") == []
