-- wrk: every request a POST, as FastAPI's first example takes it.
wrk.method = "POST"
