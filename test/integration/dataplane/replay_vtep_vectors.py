#!/usr/bin/python3
"""`ovsdb-vtep replay vtep` over every packet vector of test/data/dataplane/vtep: each
egress file (every port, the uplink and --pass-out) must hold exactly the expected
frames, and must exist even when empty.

usage: replay_vtep_vectors.py OVSDB_VTEP_BINARY SOURCE_DIR
"""
import json
import os
import struct
import subprocess
import sys
import tempfile


def read_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise AssertionError(f"{path}: not a pcap file ({len(data)} bytes)")
    frames, offset = [], 24
    while offset < len(data):
        _, _, caplen, _ = struct.unpack_from("<IIII", data, offset)
        frames.append(data[offset + 16 : offset + 16 + caplen])
        offset += 16 + caplen
    return frames


def main():
    binary, source = sys.argv[1], sys.argv[2]
    data_dir = os.path.join(source, "test/data/dataplane/vtep")
    with open(os.path.join(data_dir, "index.json")) as f:
        index = json.load(f)
    config = os.path.join(data_dir, index["config"])
    with open(config) as f:
        ports = ["uplink"] + [p["name"] for p in json.load(f)["ports"]]
    failed = set()
    with tempfile.TemporaryDirectory(prefix="vtep-replay-") as tmp:
        for vector in index["vectors"]:
            name = vector["name"]
            args = [binary, "replay", "vtep", "--config", config]
            for item in vector["inputs"]:
                args += ["--in", f"{item['port']}={os.path.join(data_dir, item['pcap'])}"]
            outputs = {port: os.path.join(tmp, f"{name}.{port}.pcap") for port in ports}
            for port, path in outputs.items():
                args += ["--out", f"{port}={path}"]
            outputs["stack"] = os.path.join(tmp, f"{name}.stack.pcap")
            args += ["--pass-out", outputs["stack"]]
            run = subprocess.run(args, capture_output=True, text=True)
            if run.returncode != 0:
                print(f"FAIL {name}: exit {run.returncode}: {run.stderr.strip()}")
                failed.add(name)
                continue
            for port, path in outputs.items():
                expected = []
                if port in vector["outputs"]:
                    expected = read_frames(os.path.join(data_dir, vector["outputs"][port]))
                got = read_frames(path)
                if got != expected:
                    print(f"FAIL {name}: {port} got {len(got)} frames, expected {len(expected)}"
                          " (or different bytes)")
                    failed.add(name)
    total = len(index["vectors"])
    print(f"{total - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
