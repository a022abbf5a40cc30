"""Errors of the reports domain that callers tell apart from other broken rules."""

from core.exceptions import ApplicationError

NOT_OPEN = "Cannot update a report that is not in open status"


class ReportNotOpenError(ApplicationError):
    """Only an open report can be edited by its owner; `status` is the one it has now."""

    def __init__(self, *, report_id: int, status: str):
        super().__init__(NOT_OPEN)
        self.report_id = report_id
        self.status = status
