// xvrrpctl: command-line client of xvrrpd. Placeholder.
int main() { return 0; }
