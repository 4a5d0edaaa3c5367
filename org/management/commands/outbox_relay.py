from django.core.management.base import BaseCommand

from org.outbox import due_message_ids, outbox_message_run, outbox_relay


class Command(BaseCommand):
    help = (
        "Publishes again the outbox messages that are not done by now (what beat's relay-outbox does every 30 "
        "seconds). With --run, runs them in this process instead, for when no worker or broker is available."
    )

    def add_arguments(self, parser):
        parser.add_argument("--run", action="store_true", help="Run the due messages here instead of publishing.")

    def handle(self, *args, run: bool, **options):
        if not run:
            self.stdout.write(f"Published {outbox_relay()} outbox messages.")
            return
        ids = due_message_ids()
        done = sum(outbox_message_run(message_id=message_id) for message_id in ids)
        self.stdout.write(f"Ran {done} of {len(ids)} due outbox messages.")
        if done < len(ids):
            self.stderr.write("Some messages failed or were taken by a worker; their last error is in the admin.")
