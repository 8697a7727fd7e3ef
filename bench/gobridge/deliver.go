package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"
)

// hook is the one webhook: where to POST, the HMAC secret, a shared HTTP client.
type hook struct {
	url    string
	secret []byte
	client *http.Client
}

func newHook(url, secret string, conns int) *hook {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns
	t.MaxIdleConnsPerHost = conns // the default (2) would close most kept-alive connections
	return &hook{url: url, secret: []byte(secret),
		client: &http.Client{Transport: t, Timeout: 10 * time.Second}}
}

// post sends body once; nil on a 2xx answer.
func (h *hook) post(body []byte) error {
	mac := hmac.New(sha256.New, h.secret)
	mac.Write(body)
	req, err := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "perscom-gobridge")
	req.Header.Set("Signature", hex.EncodeToString(mac.Sum(nil)))
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body) // read to the end so that the connection is reused
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// deliver posts body until it is accepted or quit is closed (then false), backing off
// from 100 ms to 10 s between attempts.
func (h *hook) deliver(body []byte, quit <-chan struct{}) bool {
	wait := 100 * time.Millisecond
	for {
		err := h.post(body)
		if err == nil {
			return true
		}
		logf("delivery failed, retrying in %v: %v", wait, err)
		select {
		case <-quit:
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}
