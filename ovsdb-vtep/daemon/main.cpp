// ovsdb-vtepd: placeholder until the server core lands.
#include <cstdio>
int main() {
    std::fputs("ovsdb-vtepd: the server is not built yet\n", stderr);
    return 1;
}
