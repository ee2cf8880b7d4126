"""Target-side modules: plain Python 3, standard library only, one module a file.

Each file defines `ARGUMENT_SPEC`, optionally `SUPPORTS_CHECK_MODE`, and
`main(args, ctx) -> dict`; its docstring is its reference page. The files are
shipped to each host's worker once per run and run there in-process.
"""
