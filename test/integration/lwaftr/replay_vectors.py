#!/usr/bin/python3
"""Replays every lwAFTR conformance vector through 'ovsdb-vtep replay lwaftr', exactly as an
operator would replay a capture, and checks each output file: the expected frame on the
side it should leave on, nothing anywhere else. Then replays all vectors of one
configuration at once (both sides interleaved by timestamp) and checks the outputs keep
timestamp order.  usage: replay_vectors.py OVSDB_VTEP_BINARY SOURCE_DIR"""
import json
import os
import struct
import subprocess
import sys
import tempfile


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), f"{path}: not a little-endian pcap"
    nano = magic == 0xA1B23C4D
    frames, pos = [], 24
    while pos < len(data):
        sec, frac, caplen, _ = struct.unpack("<IIII", data[pos:pos + 16])
        frames.append((sec * 10**9 + (frac if nano else frac * 1000), data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return frames


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for stamp, frame in frames:
            f.write(struct.pack("<IIII", stamp // 10**9, (stamp % 10**9) // 1000, len(frame), len(frame)))
            f.write(frame)


def replay(binary, config, internet_in, b4_in, tmp):
    outs = {side: os.path.join(tmp, side + ".pcap") for side in ("internet", "b4", "pass")}
    for path in outs.values():
        if os.path.exists(path):
            os.unlink(path)
    cmd = [binary, "replay", "lwaftr", "--config", config,
           "--internet-out", outs["internet"], "--b4-out", outs["b4"], "--pass-out", outs["pass"]]
    if internet_in:
        cmd += ["--internet-in", internet_in]
    if b4_in:
        cmd += ["--b4-in", b4_in]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {run.returncode}: {run.stderr}")
    return {side: read_pcap(path) for side, path in outs.items()}


def main():
    binary, source = sys.argv[1], sys.argv[2]
    data = os.path.join(source, "test", "data", "lwaftr")
    with open(os.path.join(data, "vectors.json")) as f:
        vectors = json.load(f)["vectors"]
    failures = []
    with tempfile.TemporaryDirectory(prefix=f"lwaftr-replay-{os.getpid()}-") as tmp:
        for v in vectors:
            inp = os.path.join(data, v["input"])
            got = replay(binary, os.path.join(data, v["config"]),
                         inp if v["side"] == "internet" else None,
                         inp if v["side"] == "b4" else None, tmp)
            # Replay adds the slow path behind the program; some vectors say what it changes.
            out = v.get("replay", {}).get("out", v["out"])
            exp_file = v["replay"]["expected"] if "replay" in v else v["expected"]
            expected = read_pcap(os.path.join(data, exp_file)) if exp_file else []
            for side in ("internet", "b4", "pass"):
                want = [f for _, f in expected] if out == side else []
                have = [f for _, f in got[side]]
                if have != want:
                    failures.append(f"{v['name']}: {side}-out has {len(have)} frames, "
                                    f"expected {len(want)} ({v['description']})"
                                    + ("" if len(have) != len(want) else " with other bytes"))
        print(f"{len(vectors)} vectors replayed one by one")

        # All vectors of config.json in one run: both inputs, merged by timestamp.
        batch = [v for v in vectors if v["config"] == "config.json" and not v["replay_only"]
                 and "replay" not in v]
        inputs = {"internet": [], "b4": []}
        for v in batch:
            inputs[v["side"]] += read_pcap(os.path.join(data, v["input"]))
        for side, frames in inputs.items():
            write_pcap(os.path.join(tmp, side + "-in.pcap"), frames)
        got = replay(binary, os.path.join(data, "config.json"),
                     os.path.join(tmp, "internet-in.pcap"), os.path.join(tmp, "b4-in.pcap"), tmp)
        for side in ("internet", "b4", "pass"):
            want = []
            for v in sorted(batch, key=lambda v: read_pcap(os.path.join(data, v["input"]))[0][0]):
                if v["out"] == side and v["expected"]:
                    want += [f for _, f in read_pcap(os.path.join(data, v["expected"]))]
            have = [f for _, f in got[side]]
            if have != want:
                failures.append(f"batch replay: {side}-out differs ({len(have)} frames, "
                                f"expected {len(want)})")
            stamps = [s for s, _ in got[side]]
            if stamps != sorted(stamps):
                failures.append(f"batch replay: {side}-out is not in timestamp order")
        print(f"{len(batch)} vectors replayed in one run")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
