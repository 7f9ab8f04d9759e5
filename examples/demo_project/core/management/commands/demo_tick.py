import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "A scheduled command: appends 'start <release> <time>' and, --seconds later, 'end <release> <time>' "
        "to STATE_DIR/ticks.log (two runs at once would interleave their lines)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=0.0)

    def handle(self, *args, seconds=0.0, **options):
        log = os.path.join(settings.STATE_DIR, "ticks.log")
        release = os.path.basename(os.path.realpath(os.getcwd()))
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"start {release} {time.time():.3f}\n")
        time.sleep(seconds)
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"end {release} {time.time():.3f}\n")
