{
  "targets": [
    {
      "target_name": "ioready",
      "sources": [
        "native/addon.c",
        "native/constants.c",
        "native/epoll.c",
        "native/watch.c",
        "native/thread_watch.c",
        "native/fd.c",
        "native/fdkinds.c",
        "native/socket.c",
        "native/poll.c",
        "native/ioctl.c",
        "native/gpio_layout.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
