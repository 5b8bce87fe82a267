module mignet.test/interop

go 1.19
