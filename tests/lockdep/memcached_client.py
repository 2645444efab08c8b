# memcached_client.py SOCKET N: store N keys through memcached's unix
# socket (waiting for it to listen), then fetch one; prints its VALUE line.
import socket
import sys
import time

path, count = sys.argv[1], int(sys.argv[2])
for _ in range(400):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("memcached did not listen on " + path)
f = s.makefile("rwb")
for i in range(count):
    f.write(b"set k%d 0 0 3\r\nabc\r\n" % i)
    f.flush()
    if f.readline() != b"STORED\r\n":
        sys.exit("memcached did not store k%d" % i)
f.write(b"get k7\r\n")
f.flush()
print(f.readline().decode().strip())
