"""`manage.py knowledge_embed`: embed the passages that lack a vector of EMBEDDING_MODEL (stored while
no model was set or it failed, or all of them after the model changed)."""

from django.core.management.base import BaseCommand, CommandError

from knowledge.embeddings import current_model
from knowledge.services import chunks_embed_missing


class Command(BaseCommand):
    help = "Embed the knowledge base's passages that have no embedding of the current EMBEDDING_MODEL."

    def handle(self, *args, **options):
        if not current_model():
            raise CommandError("No embedding model: set EMBEDDING_MODEL (and LITELLM_BASEURL or LITELLM_API_KEY).")
        embedded, left = chunks_embed_missing()
        self.stdout.write(f"Passages embedded: {embedded}; still without an embedding: {left}.")
        if left:
            raise CommandError("The embedding provider failed; run the command again later.")
