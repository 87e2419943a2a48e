# A service definition file, as Consul's agent reads them (dnsd.conf(5),
# services-dir): a permanent instance of "billing", answered as
# billing.service.consul. Edit, add or remove files, then send SIGHUP.
service {
  name = "billing"
  tags = ["api"]
  address = "127.0.0.1"
  port = 8090
}
