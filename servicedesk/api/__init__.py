"""The REST API's shared parts (issue 7): API-key authentication, scopes, the one error shape,
pagination. Each app defines its own endpoints (tickets/api.py …); servicedesk/api/urls.py joins
them under /api/v1/."""
