"""The admin console: roles and audit, broadcasts, statistics and exports."""
