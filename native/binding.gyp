{
  "targets": [
    {
      "target_name": "pstore_mmap",
      "sources": ["mmap.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "pstore_unixdgram",
      "sources": ["unixdgram.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
