"""Scheduled jobs (plain functions of services and now) and their APScheduler wiring."""
