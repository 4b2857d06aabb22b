"""One epoch on NTC-SCV: bucketed packed batches vs a plain loop padding to a fixed length.

Both loops train the same freshly seeded model (same architecture, maximum length, batch size,
optimiser) for one epoch on the training split and then score the validation split. The plain
loop is the lecture's: shuffle, pad every review to `--max-len`, run the RNN over every
position (padding included) and pool over all of them. Ours buckets by length and packs the
sequences, so the RNN never steps over padding. Both timings come from this one process, so
the printed ratio is meaningful on a busy machine.

    .venv/bin/python bench/bench_train_speed.py              # full training split (30k)
    .venv/bin/python bench/bench_train_speed.py --subset 3000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from ntc_scv import NTC_SCV_DIR, NTC_SCV_ZIPS, zips_present  # noqa: E402

from lstm_studio.core.batching import (  # noqa: E402
    EncodedSet,
    bucket_batches,
    collate,
    encode_classification,
)
from lstm_studio.core.config import (  # noqa: E402
    CleaningConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
)
from lstm_studio.core.evaluation import evaluate_encoded  # noqa: E402
from lstm_studio.core.models import RecurrentModel, build_model  # noqa: E402
from lstm_studio.core.trainer import Trainer  # noqa: E402


def load(subset: int | None, valid_subset: int | None, seed: int):
    from lstm_studio.core.cleaning import clean_dataset
    from lstm_studio.core.readers import load_sources

    zips = NTC_SCV_ZIPS
    if not zips_present():
        print(f"NTC-SCV not found in {NTC_SCV_DIR}; skipping.")
        raise SystemExit(0)
    dataset = load_sources([str(p) for p in zips])
    rng = random.Random(seed)
    train = dataset.split("train")
    valid = dataset.split("valid")
    if subset:
        train = rng.sample(train, min(subset, len(train)))
    if valid_subset:
        valid = rng.sample(valid, min(valid_subset, len(valid)))
    cleaning = CleaningConfig(detect_language=False)  # the text steps; langid is not timed here
    cleaned = clean_dataset(dataset.with_documents(train + valid), cleaning).dataset
    return cleaned.split("train"), cleaned.split("valid")


def plain_forward(model: RecurrentModel, ids: torch.Tensor) -> torch.Tensor:
    """The lecture's loop: the RNN reads every padded position; pooling sees them all."""
    output, _ = model.rnn(model.dropout(model.embedding(ids)))
    full = torch.full((ids.shape[0],), ids.shape[1], dtype=torch.long)
    return model.head(model.dropout(model.pool(output, full)))


def plain_epoch(model: RecurrentModel, data: EncodedSet, config: TrainConfig, max_len: int
                ) -> None:
    torch.manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)  # as ours
    order = list(range(len(data)))
    random.Random(config.seed).shuffle(order)
    model.train()
    for i in range(0, len(order), config.batch_size):
        batch = collate(data, order[i:i + config.batch_size], pad_to=max_len)
        loss = F.cross_entropy(plain_forward(model, batch.ids), batch.targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip or float("inf"))
        optimizer.step()


@torch.no_grad()
def plain_accuracy(model: RecurrentModel, data: EncodedSet, max_len: int) -> float:
    model.eval()
    correct = 0
    for indices in bucket_batches(data.input_lengths(), 256, shuffle=False):
        batch = collate(data, indices, pad_to=max_len)
        correct += int((plain_forward(model, batch.ids).argmax(1) == batch.targets).sum())
    return correct / len(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subset", type=int, help="training reviews to use (default: all)")
    parser.add_argument("--valid-subset", type=int, help="validation reviews (default: all)")
    parser.add_argument("--max-len", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--embedding", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--pooling", default="max")
    parser.add_argument("--vocab-size", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from lstm_studio.core.vocab import Vocabulary

    t0 = time.perf_counter()
    train_docs, valid_docs = load(args.subset, args.valid_subset, args.seed)
    vocab = Vocabulary.build([d.text for d in train_docs], VocabConfig(max_size=args.vocab_size))
    labels = sorted({d.label for d in train_docs})
    index = {label: i for i, label in enumerate(labels)}

    def encode(docs):
        return encode_classification([vocab.encode(d.text) for d in docs],
                                     [index[d.label] for d in docs], args.max_len, vocab.unk_id)

    train, valid = encode(train_docs), encode(valid_docs)
    print(f"data: {len(train)} train / {len(valid)} valid reviews, vocabulary {len(vocab)}, "
          f"max length {args.max_len}, {train.tokens()} real tokens vs "
          f"{len(train) * args.max_len} padded ({time.perf_counter() - t0:.1f} s to prepare)")
    model_config = ModelConfig(cell=args.cell, embedding_dim=args.embedding,
                               hidden_size=args.hidden, pooling=args.pooling,
                               vocab_size=len(vocab), num_classes=len(labels))
    config = TrainConfig(epochs=1, batch_size=args.batch_size, lr=2e-3, seed=args.seed,
                         max_len=args.max_len, threads=args.threads)

    torch.manual_seed(args.seed)
    plain_model = build_model(model_config)
    plain_wall, plain_cpu = timed(lambda: plain_epoch(plain_model, train, config, args.max_len))
    plain_acc = plain_accuracy(plain_model, valid, args.max_len)
    print(f"plain loop, padded to max: {plain_wall:7.1f} s/epoch (CPU {plain_cpu:7.1f} s)  "
          f"valid accuracy {plain_acc:.4f}")

    torch.manual_seed(args.seed)
    ours = build_model(model_config)
    ours_wall, ours_cpu = timed(lambda: Trainer(ours, config, train, None, labels).fit())
    ours_acc = evaluate_encoded(ours, valid, labels)["accuracy"]
    print(f"bucketed, no padding read: {ours_wall:7.1f} s/epoch (CPU {ours_cpu:7.1f} s)  "
          f"valid accuracy {ours_acc:.4f}")
    ratio = plain_wall / ours_wall
    verdict = "PASS" if ratio >= 2.0 and ours_acc >= plain_acc - 0.005 else "CHECK"
    print(f"speed ratio {ratio:.2f}x wall, {plain_cpu / ours_cpu:.2f}x CPU time (target >= 2x); "
          f"valid accuracy {ours_acc:.4f} vs {plain_acc:.4f}: {verdict}")
    return 0


def timed(work) -> tuple[float, float]:
    """Wall and process CPU seconds; CPU time is less disturbed by other users of a shared
    machine, so both are printed."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


if __name__ == "__main__":
    raise SystemExit(main())
