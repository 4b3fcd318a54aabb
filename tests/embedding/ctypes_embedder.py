#!/usr/bin/env python3
"""Embeds the installed host from Python through ctypes, with nothing but the standard library.

Usage: ctypes_embedder.py PREFIX. Loads PREFIX/<libdir>/libberth-host.so.1, opens a `local`
session that prints and exits 3 (read by cursor), and one ended by SIGTERM. Exits 0 when all is
as expected, 1 with the reason on stderr otherwise.
"""
import ctypes
import glob
import os
import signal
import sys

OK = 0


def fail(what):
    print(f"ctypes_embedder: {what}", file=sys.stderr)
    sys.exit(1)


def load(prefix):
    found = glob.glob(os.path.join(prefix, "lib*", "**", "libberth-host.so.1"), recursive=True)
    if not found:
        fail(f"no libberth-host.so.1 under {prefix}")
    lib = ctypes.CDLL(found[0])
    c_char_pp = ctypes.POINTER(ctypes.c_char_p)
    # char* results are read as c_void_p, so that berth_host_free gets the very pointer.
    errp = ctypes.POINTER(ctypes.c_void_p)
    handle = ctypes.c_void_p
    lib.berth_host_free.argtypes = [ctypes.c_void_p]
    lib.berth_host_free.restype = None
    lib.berth_host_create.argtypes = [handle, ctypes.POINTER(handle), errp]
    lib.berth_host_destroy.argtypes = [handle]
    lib.berth_host_destroy.restype = None
    lib.berth_host_session_open.argtypes = [handle, ctypes.c_char_p, ctypes.c_char_p, c_char_pp,
                                            ctypes.POINTER(handle), errp]
    lib.berth_host_session_destroy.argtypes = [handle]
    lib.berth_host_session_destroy.restype = None
    lib.berth_host_session_read.argtypes = [handle, ctypes.c_uint64, ctypes.c_void_p,
                                            ctypes.c_size_t, ctypes.c_uint32,
                                            ctypes.POINTER(ctypes.c_size_t),
                                            ctypes.POINTER(ctypes.c_uint64),
                                            ctypes.POINTER(ctypes.c_uint64), errp]
    lib.berth_host_session_wait_exit.argtypes = [handle, ctypes.c_uint32, errp]
    lib.berth_host_session_signal.argtypes = [handle, ctypes.c_int, errp]
    lib.berth_host_session_status.argtypes = [handle, ctypes.POINTER(ctypes.c_int),
                                              ctypes.POINTER(ctypes.c_int),
                                              ctypes.POINTER(ctypes.c_int), errp, errp]
    for f in ("create", "session_open", "session_read", "session_wait_exit", "session_signal",
              "session_status"):
        getattr(lib, "berth_host_" + f).restype = ctypes.c_int
    return lib


def check(lib, what, status, err):
    if status != OK:
        message = ctypes.string_at(err.value).decode() if err.value else "(no message)"
        lib.berth_host_free(err)
        fail(f"{what}: status {status}: {message}")


def open_session(lib, host, argv):
    args = (ctypes.c_char_p * (len(argv) + 1))(*[a.encode() for a in argv], None)
    session = ctypes.c_void_p()
    err = ctypes.c_void_p()
    check(lib, "open", lib.berth_host_session_open(host, b"local", None, args,
                                                   ctypes.byref(session), ctypes.byref(err)), err)
    return session


def status_of(lib, session):
    state, code, sig = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    err = ctypes.c_void_p()
    check(lib, "wait_exit", lib.berth_host_session_wait_exit(session, 10000, ctypes.byref(err)),
          err)
    check(lib, "status", lib.berth_host_session_status(session, ctypes.byref(state),
                                                       ctypes.byref(code), ctypes.byref(sig),
                                                       None, ctypes.byref(err)), err)
    return code.value, sig.value


def main():
    if len(sys.argv) != 2:
        fail("usage: ctypes_embedder.py PREFIX")
    lib = load(sys.argv[1])
    host = ctypes.c_void_p()
    err = ctypes.c_void_p()
    check(lib, "create", lib.berth_host_create(None, ctypes.byref(host), ctypes.byref(err)), err)

    session = open_session(lib, host, ["sh", "-c", "echo hi; exit 3"])
    out, cursor = b"", 0
    buf = ctypes.create_string_buffer(4096)
    for _ in range(100):
        n, nxt, dropped = ctypes.c_size_t(), ctypes.c_uint64(), ctypes.c_uint64()
        check(lib, "read", lib.berth_host_session_read(session, cursor, buf, len(buf), 100,
                                                       ctypes.byref(n), ctypes.byref(nxt),
                                                       ctypes.byref(dropped), ctypes.byref(err)),
              err)
        out += buf.raw[:n.value]
        cursor = nxt.value
        if n.value == 0 and lib.berth_host_session_wait_exit(session, 0, None) == OK:
            break
    code, sig = status_of(lib, session)
    if out != b"hi\n" or code != 3 or sig != 0:
        fail(f"got {out!r}, exit code {code}, signal {sig}")
    lib.berth_host_session_destroy(session)

    sleeper = open_session(lib, host, ["sleep", "30"])
    check(lib, "signal", lib.berth_host_session_signal(sleeper, signal.SIGTERM, ctypes.byref(err)),
          err)
    code, sig = status_of(lib, sleeper)
    if code != -1 or sig != signal.SIGTERM:
        fail(f"after SIGTERM: exit code {code}, signal {sig}")
    lib.berth_host_session_destroy(sleeper)
    lib.berth_host_destroy(host)
    print("ctypes_embedder: ok")


if __name__ == "__main__":
    main()
