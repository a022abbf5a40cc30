"""`manage.py knowledge_import`: files and folders, a changed file replaces its passages, an
unchanged one is skipped; `--demo` loads the project's own documentation."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from knowledge.models import Chunk, Document

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command("knowledge_import", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_import_creates_then_skips_then_replaces(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "hours.md").write_text("# Opening hours\n\nOpen 8-16.", encoding="utf-8")
    (folder / "page.html").write_text("<h1>Parking</h1><p>Free parking.</p>", encoding="utf-8")
    (folder / "ignored.bin").write_bytes(b"\x00\x01")
    assert "2 created, 0 updated, 0 unchanged, 0 failed" in run(str(folder))
    assert set(Document.objects.values_list("title", flat=True)) == {"Opening hours", "Parking"}

    assert "0 created, 0 updated, 2 unchanged" in run(str(folder))
    old_chunks = set(Chunk.objects.values_list("id", flat=True))

    (folder / "hours.md").write_text("# Opening hours\n\nOpen 9-17 from January.", encoding="utf-8")
    assert "0 created, 1 updated, 1 unchanged" in run(str(folder))
    hours = Document.objects.get(title="Opening hours")
    assert "9-17" in hours.text and Document.objects.count() == 2
    assert list(hours.chunks.values_list("text", flat=True)) == ["Open 9-17 from January."]
    assert not set(hours.chunks.values_list("id", flat=True)) & old_chunks


def test_a_bad_file_is_reported_and_the_rest_imported(tmp_path):
    (tmp_path / "good.txt").write_text("Fine text.", encoding="utf-8")
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    output = run(str(tmp_path / "good.txt"), str(tmp_path / "bad.pdf"))
    assert "1 created" in output and "1 failed" in output and "bad.pdf" in output
    with pytest.raises(CommandError):
        run(str(tmp_path / "missing.md"))


def test_demo_loads_the_readme_and_docs():
    run("--demo")
    sources = set(Document.objects.values_list("source", flat=True))
    assert "README.md" in sources and any(source.startswith("docs/") for source in sources)
    assert Chunk.objects.filter(document__source="README.md", heading="Twilio setup").exists()


def test_knowledge_embed_fills_the_passages_stored_without_a_vector(embeddings, settings):
    from knowledge.services import document_create

    settings.EMBEDDING_MODEL = ""
    document_create(title="Router", text="Hold the reset button.\n\n# Two\n\nSecond part.")
    with pytest.raises(CommandError):
        call_command("knowledge_embed", stdout=StringIO())
    settings.EMBEDDING_MODEL = "fake-embedding"
    out = StringIO()
    call_command("knowledge_embed", stdout=out)
    assert "Passages embedded: 2; still without an embedding: 0." in out.getvalue()
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {"fake-embedding"}

    settings.EMBEDDING_MODEL = "another-model"  # a new model: every passage again
    embeddings.fail_embeddings(400)
    with pytest.raises(CommandError):
        call_command("knowledge_embed", stdout=StringIO())
    embeddings.fail_embeddings(None)
    call_command("knowledge_embed", stdout=StringIO())
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {"another-model"}
