"""A tiny BERT, and a BERT-base-sized one, built and saved locally (random weights from a fixed seed, a small
WordPiece vocabulary), so the real model-loading code runs offline in tests and benchmarks. Needs the embeddings
extra (torch, transformers)."""
from pathlib import Path

WORDS = ("remdesivir adults with severe covid coronavirus sars cov spike binding trial of a randomised placebo "
         "bat ecology caves wings in the and paper abstract patients").split()


def tiny_bert(folder: Path, seed: int = 7, hidden_size: int = 32, layers: int = 2) -> Path:
    """Save a tiny BertModel and its BertTokenizerFast into `folder` (which must not exist); return it."""
    import torch
    import transformers

    folder.mkdir(parents=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "-", ",", "."]) + "\n")
    torch.manual_seed(seed)
    config = transformers.BertConfig(vocab_size=len(vocab.read_text().split()), hidden_size=hidden_size,
                                     num_hidden_layers=layers, num_attention_heads=2, intermediate_size=37,
                                     max_position_embeddings=512)
    transformers.BertModel(config).eval().save_pretrained(folder)
    transformers.BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True).save_pretrained(folder)
    return folder


def bert_base_sized(folder: Path, words: list[str], seed: int = 7) -> Path:
    """Save a randomly initialised BERT-base (BertConfig's defaults: 12 layers, hidden 768, 12 heads, intermediate
    3072, 512 positions) with a WordPiece vocabulary of `words` and digits into `folder`: SPECTER's size and cost."""
    import torch
    import transformers

    folder.mkdir(parents=True)
    vocab = folder / "vocab.txt"
    digits = [str(d) for d in range(10)] + [f"##{d}" for d in range(10)]
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(words)), *digits,
                                "paper", "on", "revised", "-", ",", "."]) + "\n")
    torch.manual_seed(seed)
    config = transformers.BertConfig(vocab_size=len(vocab.read_text().split()))
    transformers.BertModel(config).eval().save_pretrained(folder)
    transformers.BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True).save_pretrained(folder)
    return folder
