"""Model factories that misbehave, for the audit tests (``tests.audit_sleeper:build``)."""

import os
import time


def build():
    """Never finishes building: the audit's timeout must stop it."""
    time.sleep(600)


def crash():
    """Kills its process while building: the audit must survive the worker's death."""
    os._exit(3)
