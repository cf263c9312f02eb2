"""Errors the storage layer raises; the server maps them to HTTP statuses."""


class ShareError(Exception):
    status = 500


class Forbidden(ShareError):
    """The request names something outside the share."""
    status = 403


class NotFound(ShareError):
    status = 404


class BadRequest(ShareError):
    status = 400
