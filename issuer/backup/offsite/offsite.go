// Package offsite copies the register's verified backups to an
// S3-compatible bucket (AWS S3, MinIO, Ceph, Backblaze B2, Scaleway...)
// with minio-go. Each copy is read back and compared before it counts.
package offsite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config names a bucket and how to reach it.
type Config struct {
	// URL is the endpoint: https://host[:port] (http:// only for a test
	// server on loopback).
	URL string
	// Bucket must exist already: a register does not create buckets.
	Bucket string
	// Prefix is prepended to every object name ("linkpass/" say).
	Prefix string
	// AccessKey and SecretKey are the bucket's credentials.
	AccessKey, SecretKey string
	// Region, if the provider needs one.
	Region string
}

// Bucket is an S3-compatible bucket receiving backups.
type Bucket struct {
	cfg    Config
	client *minio.Client
	where  string
}

// New checks cfg and returns a Bucket; it does not contact the server.
func New(cfg Config) (*Bucket, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("offsite: --backup-s3-url %q: give the endpoint as https://host[:port]", cfg.URL)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("offsite: --backup-s3-url %s is plain http; use https (plain http is only for a test server on this machine)", cfg.URL)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("offsite: no bucket given (--backup-s3-bucket)")
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("offsite: the bucket's access key and secret key are needed (LINKPASS_S3_ACCESS_KEY and LINKPASS_S3_SECRET_KEY, or --backup-s3-secret-key-file)")
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: u.Scheme == "https",
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("offsite: %w", err)
	}
	return &Bucket{cfg: cfg, client: c, where: u.Scheme + "://" + u.Host + "/" + cfg.Bucket + "/" + cfg.Prefix}, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// String says where backups go, without credentials.
func (b *Bucket) String() string { return b.where }

func (b *Bucket) object(name string) string { return path.Join(b.cfg.Prefix, name) }

// Put uploads data as name, then downloads it and compares SHA-256: a copy
// counts only once it is known to read back whole.
func (b *Bucket) Put(ctx context.Context, name string, data []byte) error {
	obj := b.object(name)
	if _, err := b.client.PutObject(ctx, b.cfg.Bucket, obj, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
		return fmt.Errorf("offsite: uploading %s to %s: %w", name, b.where, err)
	}
	r, err := b.client.GetObject(ctx, b.cfg.Bucket, obj, minio.GetObjectOptions{})
	if err != nil {
		return fmt.Errorf("offsite: reading %s back: %w", name, err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("offsite: reading %s back: %w", name, err)
	}
	want := sha256.Sum256(data)
	if n != int64(len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
		return fmt.Errorf("offsite: %s read back from %s differs from what was sent (%d of %d bytes)", name, b.where, n, len(data))
	}
	return nil
}

// Names lists the objects under the prefix, without it.
func (b *Bucket) Names(ctx context.Context) ([]string, error) {
	var names []string
	prefix := b.cfg.Prefix
	for o := range b.client.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if o.Err != nil {
			return nil, fmt.Errorf("offsite: listing %s: %w", b.where, o.Err)
		}
		names = append(names, strings.TrimPrefix(strings.TrimPrefix(o.Key, prefix), "/"))
	}
	return names, nil
}

// Delete removes one backup.
func (b *Bucket) Delete(ctx context.Context, name string) error {
	if err := b.client.RemoveObject(ctx, b.cfg.Bucket, b.object(name), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("offsite: deleting %s: %w", name, err)
	}
	return nil
}

// Get downloads one backup, for a restore.
func (b *Bucket) Get(ctx context.Context, name string) ([]byte, error) {
	r, err := b.client.GetObject(ctx, b.cfg.Bucket, b.object(name), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("offsite: %w", err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("offsite: downloading %s: %w", name, err)
	}
	return data, nil
}

// SecretFromFile reads a secret kept in a file (one line), refusing one
// others can read.
func SecretFromFile(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s: mode %04o lets others read it; chmod 600 %s", p, fi.Mode().Perm(), p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
