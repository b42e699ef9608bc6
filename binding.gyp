{
  "targets": [
    {
      "target_name": "m4sim_native",
      "sources": ["native/m4sim_native.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(pkg-config --cflags unicorn capstone)"],
      "libraries": [
        "<!@(pkg-config --libs unicorn capstone)",
        "-Wl,-rpath,<!(pkg-config --variable=libdir unicorn)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
