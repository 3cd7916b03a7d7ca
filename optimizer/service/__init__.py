"""The long-running loop: lifecycle, scheduler, status output. The only place that imports
APScheduler."""
