"""HTTP pieces both servers share (the Jupyter server extension and the
course's service): JSON bodies, query arguments, streamed downloads."""
