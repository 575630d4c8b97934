package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
)

// browserNames are the names a Chromium goes by on PATH, in the order they
// are tried after CHROMIUM_PATH.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome"}

// findBrowser is the Chromium the browser tests can drive: CHROMIUM_PATH
// when it names an executable, else the first of browserNames on PATH; ""
// when there is none.
func findBrowser() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	for _, name := range browserNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// browser makes sure a Chromium exists, as server makes sure PostgreSQL
// does: when none is found and we are root on a machine with apt-get, it
// installs Debian's chromium (about 20 s, once). It returns the browser's
// path, or "" when there is still none (it then says what to do; the
// browser tests fail with the same advice, the others run).
func browser(logger *slog.Logger) string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			logger.Warn("CHROMIUM_PATH does not name an executable; looking on PATH", "CHROMIUM_PATH", p, "err", err)
		}
	}
	if path := findBrowser(); path != "" {
		return path
	}
	const advice = "install it (as root: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome; until then the browser tests fail"
	aptGet, err := exec.LookPath("apt-get")
	if err != nil || os.Geteuid() != 0 {
		logger.Warn("no Chromium for the browser tests (CHROMIUM_PATH, chromium, chromium-browser, google-chrome): " + advice)
		return ""
	}
	fmt.Fprintln(os.Stderr, "testenv: no Chromium found for the browser tests; installing Debian's chromium (apt-get install -y -qq chromium)...")
	if err = aptInstall(aptGet); err != nil {
		// A fresh machine may have no package lists yet.
		fmt.Fprintln(os.Stderr, "testenv: apt-get install failed; updating the package lists and trying again...")
		if uerr := apt(aptGet, "update", "-qq"); uerr != nil {
			err = uerr
		} else {
			err = aptInstall(aptGet)
		}
	}
	if err != nil {
		logger.Error("installing chromium failed: "+advice, "err", err)
		return ""
	}
	path := findBrowser()
	if path == "" {
		logger.Error("chromium was installed but is not on PATH: " + advice)
		return ""
	}
	fmt.Fprintln(os.Stderr, "testenv: installed", path)
	return path
}

func aptInstall(aptGet string) error {
	return apt(aptGet, "install", "-y", "-qq", "chromium")
}

// apt runs apt-get without questions; its output goes to stderr.
func apt(aptGet string, args ...string) error {
	cmd := exec.Command(aptGet, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get %v: %w", args, err)
	}
	return nil
}
