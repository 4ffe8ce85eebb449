{
  "targets": [
    {
      "target_name": "strata_native",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/args.cc",
        "src/mapping.cc",
        "src/fileio.cc",
        "src/poller.cc",
        "src/records.cc",
        "src/crc32c.cc",
        "src/uring.cc",
        "src/uring_ring.cc",
        "src/aligned_io.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "libraries": [
        "-ldl"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-Wall",
        "-Wextra",
        "-O2"
      ],
      "conditions": [
        [
          "OS!='linux'",
          {
            "defines": [
              "STRATA_NOT_LINUX"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "discard_sink",
      "type": "executable",
      "sources": [
        "src/discard_sink.c"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra"
      ]
    },
    {
      "target_name": "strata_baseline",
      "type": "executable",
      "sources": [
        "src/syscall_baseline.c",
        "src/baseline_consume.c"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra"
      ]
    },
    {
      "target_name": "c_sender",
      "type": "executable",
      "sources": [
        "src/c_sender.c"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra"
      ]
    }
  ]
}
