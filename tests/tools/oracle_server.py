#!/usr/bin/env python3
"""An OpenAI-compatible chat server that answers from a script (the eval tests' oracle).

    oracle_server.py --answers FILE.jsonl --port-file F [--host 127.0.0.1]
        [--port 0] [--slots N] [--model NAME] [--latency SECONDS]
        [--log FILE.jsonl] [--no-props] [--chunk-chars N]

Speaks what llama-server speaks: POST /v1/chat/completions (streaming with
server-sent events in chunked encoding, or one JSON body), GET /v1/models,
/props, /slots, /health. --no-props makes /props and /slots answer 404 and
serves Ollama's GET /api/tags instead, like an Ollama server.

Answers file, one JSON object a line:
    match              a substring of the request's user messages joined by
                       newlines; the longest matching entry wins ("" matches
                       everything: the default)
    context            optional list of strings that must all occur in the
                       request's other messages or tool names ('.' read as
                       '_', as native tool calling renames functions): tells
                       apart requests with the same user text; among equal
                       matches the entry with the most context strings wins
    content            the answer text
    reasoning_content  reasoning (sent as reasoning_content, or inline with
                       behavior think_inline / think_unterminated)
    tool_calls         [{"name": ..., "arguments": {...} or "string as sent"}]
    finish_reason      default "stop" ("tool_calls" when there are calls)
    retry_after        seconds, sent as Retry-After with a status:CODE:N answer
    behavior           normal | think_inline | think_unterminated | length |
                       slow:SECONDS | drop | drop_mid | malformed |
                       status:CODE:N | hang
A request that matches no entry gets HTTP 400 with an OpenAI error object.

Every request is logged as one JSON line to --log before it is answered:
    {"t": unix time, "method", "path", "body": parsed JSON or null,
     "raw": the body when it is not JSON, "entry": matched index or null,
     "stream": bool, "auth": the Authorization header or null}
The chosen port is written to --port-file (atomically) once listening.
Python 3 standard library only.
"""

import argparse
import json
import math
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STOP = threading.Event()


def est_tokens(text):
    """A stable token estimate (4 bytes a token), for usage and timings."""
    return max(1, math.ceil(len(text.encode("utf-8")) / 4)) if text else 0


class Answers:
    def __init__(self, path):
        self.entries = []
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    e = json.loads(line)
                except ValueError as exc:
                    raise SystemExit(f"{path}:{lineno}: {exc}")
                if not isinstance(e, dict) or not isinstance(e.get("match", ""), str):
                    raise SystemExit(f"{path}:{lineno}: an entry must be an object with a string 'match'")
                self.entries.append(e)
        self.status_left = {}
        self.lock = threading.Lock()

    def find(self, text, context=""):
        best, best_key = None, None
        for i, e in enumerate(self.entries):
            m = e.get("match", "")
            if m not in text:
                continue
            ctx = e.get("context") or []
            if not all(norm_name(c) in context for c in ctx):
                continue
            key = (len(m), len(ctx))
            if best_key is None or key > best_key:
                best, best_key = i, key
        return best

    def take_status(self, idx, code, n):
        """True while entry idx still has forced status answers left."""
        with self.lock:
            left = self.status_left.setdefault(idx, n)
            if left > 0:
                self.status_left[idx] = left - 1
                return True
            return False


def norm_name(s):
    """Function names as native tool calling sends them ('.' becomes '_')."""
    return s.replace(".", "_")


def context_text(body):
    """What tells requests with the same user text apart: the other messages
    (a prompt-mode system prompt lists the functions) and the tools' names."""
    parts = []
    for m in body.get("messages") or []:
        if isinstance(m, dict) and m.get("role") != "user" and isinstance(m.get("content"), str):
            parts.append(m["content"])
    for t in body.get("tools") or []:
        fn = t.get("function") if isinstance(t, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            parts.append(fn["name"])
    return norm_name("\n".join(parts))


def user_text(body):
    parts = []
    for m in body.get("messages") or []:
        if not isinstance(m, dict) or m.get("role") != "user":
            continue
        c = m.get("content")
        if isinstance(c, str):
            parts.append(c)
        elif isinstance(c, list):
            parts.extend(p.get("text", "") for p in c if isinstance(p, dict) and isinstance(p.get("text"), str))
    return "\n".join(parts)


def pieces(text, n):
    return [text[i:i + n] for i in range(0, len(text), n)] if text else []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oracle/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # --- plumbing -----------------------------------------------------------

    def send_json(self, code, obj, extra_headers=()):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def send_raw(self, code, data, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def error(self, code, msg, typ="invalid_request_error", extra_headers=()):
        self.send_json(code, {"error": {"code": code, "message": msg, "type": typ}}, extra_headers)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def event(self, obj):
        self.chunk(b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n")

    def drop(self):
        """Close the connection at once, whatever was sent."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_request_line(self, body, raw, entry, stream):
        cfg = self.server.cfg
        if not cfg.log:
            return
        rec = {"t": time.time(), "method": self.command, "path": self.path, "body": body,
               "entry": entry, "stream": stream, "auth": self.headers.get("Authorization")}
        if body is None and raw:
            rec["raw"] = raw.decode("utf-8", "replace")
        line = json.dumps(rec) + "\n"
        with self.server.log_lock:
            with open(cfg.log, "a", encoding="utf-8") as f:
                f.write(line)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        except Exception as exc:  # never let a bad request kill the thread noisily
            self.close_connection = True
            print(f"oracle: {type(exc).__name__}: {exc}", file=sys.stderr)

    # --- GET ------------------------------------------------------------------

    def do_GET(self):
        cfg = self.server.cfg
        self.log_request_line(None, b"", None, False)
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/v1/models", "/models"):
            self.send_json(200, {"object": "list", "data": [{
                "id": cfg.model, "object": "model", "created": int(self.server.started),
                "owned_by": "llamacpp",
                "meta": {"vocab_type": 2, "n_vocab": 151936, "n_ctx_train": 32768,
                         "n_embd": 1024, "n_params": 1000000, "size": 2000000}}]})
        elif path == "/health":
            self.send_json(200, {"status": "ok"})
        elif path == "/props" and not cfg.no_props:
            self.send_json(200, {
                "default_generation_settings": {"n_ctx": cfg.n_ctx, "params": {"temperature": 0.8, "top_k": 40}},
                "total_slots": cfg.slots, "model_path": f"/models/{cfg.model}.gguf",
                "build_info": "b0000-oracle", "chat_template": "{{ messages }}",
                "modalities": {"vision": False, "audio": False}})
        elif path == "/slots" and not cfg.no_props:
            self.send_json(200, [{"id": i, "n_ctx": cfg.n_ctx // max(cfg.slots, 1), "is_processing": False}
                                 for i in range(cfg.slots)])
        elif path == "/api/tags" and cfg.no_props:
            self.send_json(200, {"models": [{"name": cfg.model, "model": cfg.model,
                                             "digest": "0123456789abcdef" * 4, "size": 2000000}]})
        else:
            self.error(404, "File Not Found", "not_found_error")

    # --- POST -----------------------------------------------------------------

    def do_POST(self):
        cfg = self.server.cfg
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0].rstrip("/")
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self.log_request_line(body, raw, None, False)
            return self.error(404, "File Not Found", "not_found_error")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self.log_request_line(body if isinstance(body, dict) else None, raw, None, False)
            return self.error(400, "request body is not a JSON object with messages")
        stream = bool(body.get("stream"))
        idx = self.server.answers.find(user_text(body), context_text(body))
        self.log_request_line(body, raw, idx, stream)
        if idx is None:
            return self.error(400, "oracle: no answer matches this request")
        entry = self.server.answers.entries[idx]
        behavior = str(entry.get("behavior", "normal"))

        if behavior.startswith("status:"):
            try:
                _, code, count = behavior.split(":")
                code, count = int(code), int(count)
            except ValueError:
                return self.error(500, f"oracle: bad behavior {behavior!r}", "server_error")
            if self.server.answers.take_status(idx, code, count):
                hdrs = [("Retry-After", str(entry["retry_after"]))] if "retry_after" in entry else []
                msg = "Loading model" if code == 503 else f"oracle status {code}"
                return self.error(code, msg, "unavailable_error" if code == 503 else "server_error", hdrs)
            behavior = "normal"

        if behavior == "hang":
            # Hold the connection open until the server stops.
            while not STOP.wait(0.5):
                pass
            return self.drop()
        if behavior == "drop":
            return self.drop()

        delay = cfg.latency
        if behavior.startswith("slow:"):
            try:
                delay += float(behavior[5:])
            except ValueError:
                pass
        want_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        ans = self.build(entry, behavior, body)
        if stream:
            self.stream_answer(ans, behavior, delay, want_usage)
        else:
            if delay > 0:
                time.sleep(delay)
            self.whole_answer(ans, behavior)

    def build(self, entry, behavior, body):
        content = entry.get("content") or ""
        reasoning = entry.get("reasoning_content") or ""
        finish = entry.get("finish_reason")
        if behavior == "think_inline" and reasoning:
            content, reasoning = f"<think>{reasoning}</think>\n\n{content}", ""
        elif behavior == "think_unterminated":
            content, reasoning = f"<think>{reasoning}{content}", ""
        calls = []
        for i, c in enumerate(entry.get("tool_calls") or []):
            args = c.get("arguments", {})
            calls.append({"name": c.get("name", ""), "id": f"call_{i}",
                          "arguments": args if isinstance(args, str) else json.dumps(args)})
        if not finish:
            finish = "length" if behavior == "length" else ("tool_calls" if calls else "stop")
        prompt_n = est_tokens(json.dumps(body.get("messages")))
        completion_n = est_tokens(content) + est_tokens(reasoning) + sum(est_tokens(c["arguments"]) for c in calls)
        return {"content": content, "reasoning": reasoning, "calls": calls, "finish": finish,
                "prompt_n": prompt_n, "completion_n": completion_n, "reasoning_n": est_tokens(reasoning)}

    def usage(self, ans):
        u = {"completion_tokens": ans["completion_n"], "prompt_tokens": ans["prompt_n"],
             "total_tokens": ans["completion_n"] + ans["prompt_n"]}
        if ans["reasoning_n"]:
            u["completion_tokens_details"] = {"reasoning_tokens": ans["reasoning_n"]}
        return u

    def timings(self, ans):
        pn, cn = ans["prompt_n"], max(ans["completion_n"], 1)
        return {"cache_n": 0, "prompt_n": pn, "prompt_ms": pn * 0.5, "prompt_per_token_ms": 0.5,
                "prompt_per_second": 2000.0, "predicted_n": cn, "predicted_ms": cn * 10.0,
                "predicted_per_token_ms": 10.0, "predicted_per_second": 100.0}

    def base(self, obj):
        cfg = self.server.cfg
        return {"choices": [], "created": int(time.time()), "model": cfg.model,
                "system_fingerprint": "b0000-oracle", "object": obj,
                "id": f"chatcmpl-oracle{threading.get_ident()}"}

    def whole_answer(self, ans, behavior):
        msg = {"role": "assistant", "content": ans["content"] if ans["content"] or not ans["calls"] else None}
        if ans["reasoning"]:
            msg["reasoning_content"] = ans["reasoning"]
        if ans["calls"]:
            msg["tool_calls"] = [{"type": "function", "id": c["id"],
                                  "function": {"name": c["name"], "arguments": c["arguments"]}}
                                 for c in ans["calls"]]
        out = self.base("chat.completion")
        out["choices"] = [{"finish_reason": ans["finish"], "index": 0, "message": msg}]
        out["usage"] = self.usage(ans)
        out["timings"] = self.timings(ans)
        data = json.dumps(out).encode()
        if behavior == "malformed":
            return self.send_raw(200, data[: len(data) // 2] + b"<<not json")
        if behavior == "drop_mid":
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            return self.drop()
        self.send_raw(200, data, "application/json; charset=utf-8")

    def stream_answer(self, ans, behavior, delay, want_usage):
        cfg = self.server.cfg
        deltas = [{"role": "assistant", "content": None}]
        deltas += [{"reasoning_content": p} for p in pieces(ans["reasoning"], cfg.chunk_chars)]
        deltas += [{"content": p} for p in pieces(ans["content"], cfg.chunk_chars)]
        for i, c in enumerate(ans["calls"]):
            deltas.append({"tool_calls": [{"index": i, "id": c["id"], "type": "function",
                                           "function": {"name": c["name"], "arguments": ""}}]})
            for p in pieces(c["arguments"], max(1, cfg.chunk_chars // 2)):
                deltas.append({"tool_calls": [{"index": i, "function": {"arguments": p}}]})

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        step = delay / len(deltas) if delay > 0 else 0
        for k, d in enumerate(deltas):
            if step:
                time.sleep(step)
            if behavior == "drop_mid" and k >= max(2, len(deltas) // 2):
                return self.drop()
            if behavior == "malformed" and k == max(1, len(deltas) // 2):
                self.event(b'{"choices":[{"delta":{"content":"x"}')
                continue
            ev = self.base("chat.completion.chunk")
            ev["choices"] = [{"finish_reason": None, "index": 0, "delta": d}]
            self.event(ev)
        if behavior == "drop_mid":
            return self.drop()
        ev = self.base("chat.completion.chunk")
        ev["choices"] = [{"finish_reason": ans["finish"], "index": 0, "delta": {}}]
        ev["timings"] = self.timings(ans)
        self.event(ev)
        if want_usage:
            ev = self.base("chat.completion.chunk")
            ev["usage"] = self.usage(ans)
            ev["timings"] = self.timings(ans)
            self.event(ev)
        self.event(b"[DONE]")
        self.chunk(b"")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            print(f"oracle: {type(exc).__name__}: {exc}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--answers", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--slots", type=int, default=4)
    ap.add_argument("--model", default="oracle")
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--log")
    ap.add_argument("--no-props", action="store_true")
    ap.add_argument("--chunk-chars", type=int, default=16)
    ap.add_argument("--n-ctx", type=int, default=8192)
    cfg = ap.parse_args()
    cfg.chunk_chars = max(1, cfg.chunk_chars)

    srv = Server((cfg.host, cfg.port), Handler)
    srv.cfg = cfg
    srv.answers = Answers(cfg.answers)
    srv.log_lock = threading.Lock()
    srv.started = time.time()
    if cfg.log:
        open(cfg.log, "a").close()
    tmp = cfg.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{srv.server_address[1]}\n")
    os.replace(tmp, cfg.port_file)

    import signal

    def stop(*_):
        STOP.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        STOP.set()
        srv.server_close()


if __name__ == "__main__":
    main()
