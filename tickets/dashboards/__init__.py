"""Supervisor dashboards (issue 8) under /dashboard/: live operations, SLA compliance,
workload, complaints and evaluations, call reasons."""
