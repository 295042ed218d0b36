"""The staff console: sessions to run, check-in, the front desk, stopping, planning,
and the admin's booking policy and audit log."""
