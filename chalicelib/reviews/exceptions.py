"""Errors of reviews, as problem+json."""

from __future__ import annotations

from chalicelib.core.exceptions import Conflict, Forbidden, NotFound


class ReviewNotFound(NotFound):
    code = "review_not_found"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"


class AlreadyReplied(Conflict):
    code = "already_replied"


class AlreadyReported(Conflict):
    code = "already_reported"


class NotYourReview(Forbidden):
    code = "not_your_review"


class ReviewRuleRefused(Conflict):
    """A double-blind or window rule refuses the action (its code names the rule)."""
