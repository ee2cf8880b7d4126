#!/usr/bin/python
import os
import signal
print("partial")
os.kill(os.getpid(), signal.SIGKILL)
