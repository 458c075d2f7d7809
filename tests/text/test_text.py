"""core.text: a real character model trained on real Shakespeare, checked against
plain PyTorch forwards and hand-computed values."""

from __future__ import annotations

import math
import threading
from collections import Counter

import numpy as np
import pytest
import torch

from core.jobs.threads import Job
from core.runs.formats.common import CheckpointError
from core.runs.formats.text import load_text_run, save_text_run, text_run_bytes, text_run_to_dict
from core.tasks.text import text_task
from core.text import (
    MAX_CHARS,
    CharLM,
    CharModelConfig,
    CharTrainConfig,
    TextError,
    Vocab,
    build_text_run,
    cell_activations,
    corpus_from_bytes,
    corpus_from_text,
    evaluate_bpc,
    fit_text,
    generate,
    load_shakespeare,
    rank_cells,
    streams,
    text_features,
)

SMALL_MODEL = CharModelConfig(cell="lstm", embed_size=16, hidden_size=64, num_layers=1)
SMALL_TRAIN = CharTrainConfig(
    epochs=20, max_steps=250, batch_size=16, seq_len=64, lr=1e-2, log_every=50, sample_every_s=0
)


@pytest.fixture(scope="module")
def trained():
    """64-unit LSTM, 250 steps of 16 x 64 characters on the first 60 k of Shakespeare."""
    run, train_ids, val_ids = build_text_run(load_shakespeare(60_000), SMALL_MODEL, SMALL_TRAIN)
    fit_text(run, train_ids, val_ids)
    return run, val_ids


def entropy_bits(text: str) -> float:
    counts = np.array(list(Counter(text).values()), dtype=float)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def next_logits(run, text: str) -> torch.Tensor:
    """Reference: one plain forward over the whole text -> logits (T, V)."""
    ids = torch.from_numpy(run.vocab.encode(text))[None]
    with torch.no_grad():
        return run.model(ids)[0][0]


# -- learning -------------------------------------------------------------------------------
def test_validation_bpc_falls_well_below_the_uniform_and_unigram_baselines(trained):
    run, val_ids = trained
    uniform = math.log2(run.vocab.size)  # 5.88 bits for the 59 characters of this slice
    assert run.baselines["uniform_bpc"] == pytest.approx(uniform)
    # 250 steps on one CPU thread (~6 s) reached 2.76 bits/char (unigram: 4.73)
    assert run.val_bpc < 0.55 * uniform, run.history
    assert run.val_bpc < run.baselines["unigram_bpc"] - 1.0, run.history
    assert run.history[-1]["train_loss"] < run.history[0]["train_loss"]
    assert run.val_bpc == pytest.approx(evaluate_bpc(run.model, val_ids, 256), rel=1e-5)
    assert run.result["reason"] == "completed" and run.result["steps"] == 250
    assert [r["step"] for r in run.history] == [50, 100, 150, 200, 250]
    assert [s["step"] for s in run.samples] == [50, 100, 150, 200, 250]  # one per record
    assert all(len(s["text"]) == 200 for s in run.samples)


def test_training_repeats_exactly_with_the_same_seed():
    cfg = SMALL_TRAIN.replace(max_steps=12, log_every=6)
    corpus = load_shakespeare(20_000)
    losses = []
    for _ in range(2):
        run, tr, va = build_text_run(corpus, SMALL_MODEL, cfg)
        losses.append([r["val_loss"] for r in fit_text(run, tr, va).history])
    assert losses[0] == losses[1]


def test_gru_and_rnn_cells_train_too():
    for cell in ("gru", "rnn"):
        cfg = SMALL_MODEL.replace(cell=cell, num_layers=2)
        run, tr, va = build_text_run(
            load_shakespeare(20_000), cfg, SMALL_TRAIN.replace(max_steps=30)
        )
        fit_text(run, tr, va)
        assert run.val_bpc < run.baselines["uniform_bpc"], (cell, run.history)


# -- truncated BPTT ---------------------------------------------------------------------------
def test_streams_are_contiguous_slices_with_next_character_targets():
    ids = np.arange(103)
    x, y = streams(ids, 4)  # n = (103 - 1) // 4 = 25
    assert x.shape == y.shape == (4, 25)
    for b in range(4):
        assert x[b].tolist() == list(range(25 * b, 25 * b + 25))
        assert y[b].tolist() == list(range(25 * b + 1, 25 * b + 26))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_state_carried_across_chunks_equals_the_whole_sequence_at_once(cell):
    torch.manual_seed(0)
    model = CharLM(CharModelConfig(cell=cell, vocab_size=20, hidden_size=24, num_layers=2)).eval()
    ids = torch.randint(0, 20, (3, 101))
    with torch.no_grad():
        whole, whole_state = model(ids)  # (3, 101, 20)
        parts, state = [], None
        for s in range(0, 101, 16):
            logits, state = model(ids[:, s : s + 16], state)
            parts.append(logits)
    torch.testing.assert_close(torch.cat(parts, dim=1), whole, atol=1e-5, rtol=1e-5)
    for a, b in zip(state if cell == "lstm" else (state,),
                    whole_state if cell == "lstm" else (whole_state,), strict=True):  # fmt: skip
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_chunked_validation_bpc_equals_one_pass(trained):
    run, val_ids = trained
    one_pass = evaluate_bpc(run.model, val_ids, seq_len=100_000)
    assert evaluate_bpc(run.model, val_ids, seq_len=7) == pytest.approx(one_pass, abs=1e-5)


def test_detached_chunks_cut_the_gradient_at_the_chunk_boundary():
    torch.manual_seed(0)
    model = CharLM(CharModelConfig(vocab_size=10, hidden_size=8, num_layers=1))
    emb_in: list[torch.Tensor] = []

    def keep(module, inputs, out) -> None:
        out.retain_grad()
        emb_in.append(out)

    model.embed.register_forward_hook(keep)
    ids = torch.randint(0, 10, (1, 20))
    _, state = model(ids[:, :10])
    from core.text import detach_state

    logits, _ = model(ids[:, 10:], detach_state(state))
    logits.sum().backward()
    assert emb_in[0].grad is None or float(emb_in[0].grad.abs().sum()) == 0.0
    assert float(emb_in[1].grad.abs().sum()) > 0


def test_live_samples_keep_the_first_and_the_latest():
    from core.text.train import MAX_SAMPLES, _keep

    kept = _keep([{"step": i, "text": ""} for i in range(1, 201)])
    steps = [s["step"] for s in kept]
    assert len(kept) == MAX_SAMPLES and steps[:10] == list(range(1, 11)) and steps[-1] == 200


def test_stop_flag_is_checked_every_chunk():
    class Ctx:
        def __init__(self):
            self.stop_event = threading.Event()
            self.fields: dict = {}

        def publish(self, **f):
            self.fields.update(f)

        def append(self, key, item, limit=5000):
            self.stop_event.set()  # stop right after the first record

    ctx = Ctx()
    run, tr, va = build_text_run(
        load_shakespeare(20_000), SMALL_MODEL, SMALL_TRAIN.replace(log_every=3)
    )
    fit_text(run, tr, va, ctx)
    assert run.result["reason"] == "stopped" and run.result["steps"] == 3
    assert ctx.fields["reason"] == "stopped"
    assert ctx.fields["message"].startswith("Stopped by you after 3 steps: validation ")


def test_text_task_runs_as_a_background_job_publishing_history_and_samples():
    cfg = SMALL_TRAIN.replace(max_steps=10, log_every=5, sample_every_s=3600)
    job = Job(text_task(load_shakespeare(20_000), SMALL_MODEL, cfg), name="t", kind="text")
    job.start()
    assert job.join(300)
    snap = job.snapshot()
    assert snap["status"] == "done", snap.get("message")
    assert [r["step"] for r in snap["history"]] == [5, 10]
    # sampling every hour: the first step and the last only
    assert [s["step"] for s in snap["samples"]] == [1, 10]
    assert snap["steps"] == 10
    assert job.result.history == snap["history"]


# -- generation -----------------------------------------------------------------------------
def test_temperature_zero_is_greedy_and_deterministic(trained):
    run, _ = trained
    a = generate(run.model, run.vocab, "ROMEO:", 120, temperature=0, seed=1)
    b = generate(run.model, run.vocab, "ROMEO:", 120, temperature=0, seed=99)
    assert a.text == b.text
    logits = next_logits(run, "ROMEO:" + a.text)  # (6 + 120, V)
    greedy = run.vocab.decode(logits[5:-1].argmax(dim=-1))
    assert a.text == greedy


def test_same_seed_repeats_and_another_seed_differs(trained):
    run, _ = trained
    gen = lambda seed: generate(run.model, run.vocab, "\n", 200, 1.0, 0, seed).text  # noqa: E731
    assert gen(3) == gen(3)
    assert gen(3) != gen(4)


def test_higher_temperature_raises_sample_entropy(trained):
    run, _ = trained
    ents = [
        entropy_bits(generate(run.model, run.vocab, "\n", 1500, t, 0, seed=0).text)
        for t in (0.3, 1.0, 2.0)
    ]
    assert ents[0] < ents[1] < ents[2], ents


def test_top_k_never_emits_a_character_outside_the_k_most_likely(trained):
    run, _ = trained
    for k in (1, 3):
        g = generate(run.model, run.vocab, "KING:", 400, temperature=2.0, top_k=k, seed=5)
        logits = next_logits(run, "KING:" + g.text)[4:-1]  # (400, V): logits before each char
        ids = torch.from_numpy(run.vocab.encode(g.text))
        rank = (logits > logits.gather(1, ids[:, None])).sum(dim=1)  # 0 = most likely
        assert int(rank.max()) < k
    g = generate(run.model, run.vocab, "KING:", 400, temperature=2.0, top_k=0, seed=5)
    logits = next_logits(run, "KING:" + g.text)[4:-1]
    ids = torch.from_numpy(run.vocab.encode(g.text))
    assert int((logits > logits.gather(1, ids[:, None])).sum(dim=1).max()) >= 3


def test_generation_reports_the_models_probabilities(trained):
    run, _ = trained
    g = generate(run.model, run.vocab, "First", 50, temperature=0.8, seed=2)
    p = torch.softmax(next_logits(run, "First" + g.text)[4:-1].double(), dim=-1)  # (50, V)
    ids = torch.from_numpy(run.vocab.encode(g.text))
    np.testing.assert_allclose(g.chosen_prob, p.gather(1, ids[:, None])[:, 0].numpy(), atol=1e-5)
    np.testing.assert_allclose(g.top_probs[:, 0], p.max(dim=1).values.numpy(), atol=1e-5)
    assert g.top_chars[0][0] == run.vocab.chars[int(p[0].argmax())]
    rows = g.table()
    assert len(rows) == 50 and rows[0]["char"] == g.text[0] and "#5" in rows[0]


def test_bad_generation_settings_say_what_is_wrong(trained):
    run, _ = trained
    cases = [
        (dict(prompt=""), "the prompt is empty: type at least one character to start from"),
        (dict(prompt="caf\u00e9 \u20ac"), "the prompt has characters the model never saw in "
         "training: '\u00e9', '\u20ac'; remove them or train on a text that contains them"),
        (dict(length=0), "length must be an integer from 1 to 5000, got 0"),
        (dict(temperature=-1), "temperature must be a number from 0 to 5, got -1"),
        (dict(temperature=float("nan")), "temperature must be a number from 0 to 5, got nan"),
        (dict(top_k=-2), "top-k must be 0 (no limit) or a positive integer, got -2"),
    ]  # fmt: skip
    for change, message in cases:
        kw = dict(prompt="A", length=10, temperature=1.0, top_k=0) | change
        with pytest.raises(TextError) as e:
            generate(run.model, run.vocab, **kw)
        assert str(e.value) == message


# -- corpus --------------------------------------------------------------------------------
def test_uploads_are_decoded_normalised_and_checked():
    text = "\ufeffLine one, \u201cquoted\u201d.\r\n" * 60
    c = corpus_from_bytes(text.encode("utf-8"), "mine.txt")
    assert c.text.startswith("Line one") and "\r" not in c.text and c.text.count("\n") == 60
    assert c.provenance == {"source": "upload", "chars": len(c.text), "offline": True}
    with pytest.raises(TextError) as e:
        corpus_from_bytes(b"abc\xff\xfe" + b"x" * 2000, "bad.txt")
    assert str(e.value) == (
        "the file is not UTF-8 text (byte 0xff at position 3 cannot be decoded): save it as "
        "UTF-8 and upload it again"
    )
    with pytest.raises(TextError) as e:
        corpus_from_text("too short", "x")
    assert str(e.value) == (
        "the text has 9 characters; at least 1,000 are needed to train and validate (a few "
        "pages or more work best)"
    )
    with pytest.raises(TextError) as e:
        corpus_from_text("a\x00b" * 500, "x")
    assert str(e.value) == "the text contains NUL bytes: it looks like a binary file, not text"
    with pytest.raises(TextError) as e:
        corpus_from_text("".join(chr(0x4E00 + i) for i in range(1500)), "x")
    assert str(e.value) == (
        "the text uses 1,500 distinct characters; the limit is 1,000: a character model needs "
        "many examples of each character"
    )
    big = corpus_from_text("ab\n" * (MAX_CHARS // 3 + 10), "big")
    assert len(big) == MAX_CHARS and big.provenance["truncated_from"] == 3 * (MAX_CHARS // 3 + 10)


def test_vocab_is_sorted_and_round_trips():
    v = Vocab.from_text("hello world\n")
    assert v.chars == ("\n", " ", "d", "e", "h", "l", "o", "r", "w")
    assert v.decode(v.encode("world hello")) == "world hello"
    with pytest.raises(TextError) as e:
        v.encode("help!")
    assert str(e.value).startswith("the text has characters the model never saw in training: 'p'")


def test_too_short_text_for_the_batch_says_what_to_change():
    corpus = corpus_from_text("to be or not to be\n" * 60, "short")
    with pytest.raises(TextError) as e:
        build_text_run(corpus, SMALL_MODEL, SMALL_TRAIN.replace(batch_size=600))
    assert str(e.value) == (
        "the text is too short for 600 parallel streams (1,026 characters): lower the batch "
        "size or use a longer text"
    )


def test_config_messages():
    with pytest.raises(ValueError, match=r"^seq_len must be an integer >= 2, got 1$"):
        CharTrainConfig(seq_len=1)
    with pytest.raises(ValueError, match=r"^num_layers must be <= 4, got 5$"):
        CharModelConfig(num_layers=5)
    with pytest.raises(ValueError, match=r"^cell must be one of lstm, gru, rnn, got 'tcn'$"):
        CharModelConfig(cell="tcn")


# -- interpretable cells ---------------------------------------------------------------------
def test_cell_activations_replay_the_fused_lstm(trained):
    run, _ = trained
    text = run.probe[:300]
    acts = cell_activations(run.model, run.vocab, text)
    assert set(acts) == {"i", "f", "g", "o", "c", "h"} and acts["h"].shape == (1, 300, 64)
    ids = torch.from_numpy(run.vocab.encode(text))[None]
    with torch.no_grad():
        out, _ = run.model.rnn(run.model.embed(ids))  # (1, T, H)
    np.testing.assert_allclose(acts["h"][-1], out[0].numpy(), atol=1e-5)


def test_text_features_by_hand():
    f = text_features('ab "c"\nXe')
    assert f["inside quotes"].tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0]
    assert text_features("a \u201cb\u201d c")["inside quotes"].tolist() == [0, 0, 1, 1, 1, 0, 0]
    assert f["position in line"].tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1]
    vowel = f["vowel (vs consonant)"]
    assert vowel[0] == 1 and vowel[1] == 0 and np.isnan(vowel[2]) and vowel[8] == 1
    assert f["uppercase letter"].tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 0]


def test_rank_cells_finds_a_planted_line_position_unit():
    text = "ab cd\nefg hi\njk\n" * 20
    pos = text_features(text)["position in line"]
    rng = np.random.default_rng(0)
    h = rng.normal(size=(2, len(text), 8))  # (L, T, H): noise...
    h[1, :, 5] = -0.1 * pos  # ...and one unit that counts down along each line
    table, constant = rank_cells({"h": h}, text, top=3)
    best = table[table.feature == "position in line"].iloc[0]
    assert (best.layer, best.gate, best.unit) == (2, "h", 5)
    assert best.r == pytest.approx(-1.0)
    assert constant == ["inside quotes", "uppercase letter"]


def test_rank_cells_on_the_trained_model_returns_each_feature(trained):
    run, _ = trained
    acts = cell_activations(run.model, run.vocab, run.probe[:1500])
    table, constant = rank_cells(acts, run.probe[:1500], top=4)
    assert "inside quotes" in constant  # Shakespeare's slice has no double quotes
    assert set(table.feature) == {"position in line", "vowel (vs consonant)",
                                  "uppercase letter", "space or newline"}  # fmt: skip
    assert (table.r.abs() <= 1 + 1e-9).all() and (table.groupby("feature").size() == 4).all()
    assert table.r.abs().max() > 0.5  # some unit follows at least one property clearly


# -- checkpoints -----------------------------------------------------------------------------
def test_save_and_load_give_the_same_model(trained, tmp_path):
    run, _ = trained
    path = save_text_run(run, tmp_path / "m.pt")
    back = load_text_run(path)
    assert back.vocab == run.vocab and back.model_cfg == run.model_cfg
    assert back.history == run.history and back.probe == run.probe
    for t in (0, 1.0):
        a = generate(run.model, run.vocab, "A", 80, t, 0, 7).text
        assert generate(back.model, back.vocab, "A", 80, t, 0, 7).text == a
    assert load_text_run(text_run_bytes(run)).corpus["fingerprint"] == run.corpus["fingerprint"]


def test_bad_checkpoints_are_refused_with_a_reason(trained, tmp_path):
    run, _ = trained

    def refused(obj) -> str:
        path = tmp_path / "x.pt"
        torch.save(obj, path)
        with pytest.raises(CheckpointError) as e:
            load_text_run(path)
        return str(e.value)

    d = text_run_to_dict(run)
    assert refused({"format": "lstm-lab/forecaster"}) == (
        "this is an LSTM Lab forecaster checkpoint, not a text model: load it where "
        "forecasters are loaded"
    )
    assert refused(d | {"version": 9}) == (
        "text-model checkpoint version 9 is not supported (this LSTM Lab reads version 1)"
    )
    assert refused({k: v for k, v in d.items() if k != "vocab"}) == (
        "the checkpoint lacks its 'vocab' entry"
    )
    assert refused(d | {"vocab": d["vocab"][:-1]}).startswith(
        "the checkpoint's weights do not fit its model settings: the vocabulary has"
    )
    assert refused([1, 2]) == (
        "this file is a PyTorch file but not an LSTM Lab checkpoint (it has no 'format' field)"
    )
    assert refused(threading.Event).startswith("refused: the file contains Python objects")
    with pytest.raises(CheckpointError, match=r"^this file is not a PyTorch file"):
        load_text_run(b"not a torch file")


# -- command line --------------------------------------------------------------------------
def test_cli_trains_saves_loads_and_samples(tmp_path, capsys):
    import json

    from core.cli import main

    path = tmp_path / "t.pt"
    args = ["text", "--chars", "20000", "--hidden", "32", "--steps", "8", "--length", "30"]
    assert main([*args, "--save", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["steps"] == 8 and out["reason"] == "completed"
    assert out["vocab"] == len(set(load_shakespeare(20_000).text))
    assert out["val_bpc"] < out["uniform_bpc"] and len(out["sample"]) == 31  # "\n" + 30
    greedy = ["text", "--load", str(path), "--prompt", "First", "--temperature", "0", "--json"]
    assert main([*greedy, "--length", "20"]) == 0
    first = json.loads(capsys.readouterr().out)["sample"]
    assert main([*greedy, "--length", "20", "--seed", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["sample"] == first and first.startswith("First")
    assert main(["text", "--load", str(path), "--prompt", "\u00e9"]) == 2
    assert capsys.readouterr().err == (
        "error: the prompt has characters the model never saw in training: '\u00e9'; remove "
        "them or train on a text that contains them\n"
    )


def test_view_length_bounds_the_activations_kept_per_session():
    from core.text import max_view_chars
    from core.text.cells import MAX_ACTIVATION_VALUES, MAX_VIEW_CHARS

    assert max_view_chars(CharModelConfig(hidden_size=128, num_layers=2)) == MAX_VIEW_CHARS
    big = CharModelConfig(hidden_size=2048, num_layers=4)  # 4 * 2048 * 6 values per character
    assert max_view_chars(big) == MAX_ACTIVATION_VALUES // (4 * 2048 * 6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_text_gates_equal_a_step_by_step_cell_reference(cell):
    """The text page's gates (core.gates.compute, the one implementation) against nn.LSTMCell /
    nn.GRUCell / nn.RNNCell stepped by hand over every layer."""
    from gate_reference import reference

    from core.text.cells import fast_gates

    torch.manual_seed(1)
    model = CharLM(CharModelConfig(cell=cell, vocab_size=12, hidden_size=16, num_layers=3))
    model.eval()
    x = model.embed(torch.randint(0, 12, (1, 200))).detach()  # (1, T, E)
    ref = reference(model.rnn, x)  # key -> (L, D, B, T, H), float64
    fast = fast_gates(model.rnn, x)  # key -> (L, T, H)
    assert set(fast) == set(ref)
    for k in ref:
        torch.testing.assert_close(fast[k].double(), ref[k][:, 0, 0], atol=2e-5, rtol=1e-4)
