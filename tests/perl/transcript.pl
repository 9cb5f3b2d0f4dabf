# Drives Debian's Sys::Virt (a compiled Perl binding) and prints what it sees;
# run_perl.py compares the output on Debian's libvirt and on ours.
use strict;
use warnings;
use Sys::Virt;

if (my $want = $ENV{EXPECT_LIBVIRT_DIR}) {
    open(my $maps, "<", "/proc/self/maps") or die;
    my @mapped = grep { m{/libvirt\.so} } <$maps>;
    die "no libvirt mapped\n" unless @mapped;
    for (@mapped) { m{(/\S+)}; die "wrong library mapped: $1\n" unless index($1, $want) == 0; }
}

sub attempt {
    my ($label, $code) = @_;
    my @r = eval { $code->() };
    if (ref $@) {
        printf "%s -> error code=%d domain=%d message=%s\n", $label, $@->code, $@->domain, $@->message;
    } elsif ($@) {
        print "$label -> died: $@";
    } else {
        printf "%s -> %s\n", $label, join(",", map { defined $_ ? (ref $_ ? ref $_ : $_) : "undef" } @r);
    }
}

my $c = Sys::Virt->new(uri => "test:///default");
attempt("get_type", sub { $c->get_type() });
attempt("get_version", sub { $c->get_version() });
attempt("get_library_version", sub { $c->get_library_version() });
attempt("get_uri", sub { $c->get_uri() });
my $info = $c->get_node_info();
print "node_info -> ", join(",", map { "$_=$info->{$_}" } sort keys %$info), "\n";
attempt("get_max_vcpus", sub { $c->get_max_vcpus(undef) });
attempt("is_alive", sub { $c->is_alive() });
attempt("is_secure", sub { $c->is_secure() });
attempt("is_encrypted", sub { $c->is_encrypted() });
attempt("capabilities length", sub { length($c->get_capabilities()) });
attempt("open test:///", sub { Sys::Virt->new(uri => "test:///") });
attempt("open bad uri", sub { Sys::Virt->new(uri => "bogus uri with spaces") });
attempt("set_keep_alive", sub { $c->set_keep_alive(5, 3) });
attempt("read-only uri", sub { Sys::Virt->new(uri => "test:///default", readonly => 1)->get_uri() });
