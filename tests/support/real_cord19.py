"""Real CORD-19 releases rebuilt from the corpus's real files, in the two forms CORD-19 shipped."""
import shutil
import tarfile
from pathlib import Path

HF_SHA = "d1aafb70c066a2068b02786f8929fd9c900897fb"  # the real pdf_json parse of cord_uid ug7v899j


def real_cord19_folder(corpus_dir: Path, out: Path) -> Path:
    """`out/2020-11-29/`: the real head of that release's metadata.csv (4 rows) and one real pdf_json parse."""
    hf = corpus_dir / "cord19/hf_datasets_dummy_2020-11-29"
    release_dir = out / "2020-11-29"
    (release_dir / "document_parses/pdf_json").mkdir(parents=True)
    shutil.copyfile(hf / "metadata_2020-11-29_head.csv", release_dir / "metadata.csv")
    shutil.copyfile(hf / f"pdf_json_{HF_SHA}.json", release_dir / f"document_parses/pdf_json/{HF_SHA}.json")
    return release_dir


def real_cord19_tarball(release_dir: Path, out: Path) -> Path:
    """`out/cord-19_<date>.tar.gz` holding `<date>/metadata.csv` and `<date>/document_parses.tar.gz`, as CORD-19 did."""
    staged = out / "staged" / release_dir.name
    staged.mkdir(parents=True)
    shutil.copyfile(release_dir / "metadata.csv", staged / "metadata.csv")
    with tarfile.open(staged / "document_parses.tar.gz", "w:gz") as inner:
        inner.add(release_dir / "document_parses", arcname="document_parses")
    tarball = out / f"cord-19_{release_dir.name}.tar.gz"
    with tarfile.open(tarball, "w:gz") as outer:
        outer.add(staged, arcname=release_dir.name)
    return tarball
