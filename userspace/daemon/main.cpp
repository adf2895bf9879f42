// xvrrpd: the VRRP controller. Placeholder until the configuration contract lands.
int main() { return 0; }
